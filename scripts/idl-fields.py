#!/usr/bin/env python3
# scripts/idl-fields.py XEN_SRC — list every field reachable from
# libxl_domain_config in Xen's libxl_types.idl, in the format of
# tests/unit/test_model_idl.c (name, kind, init value, enum values, union
# members), using the IDL's own parser (tools/libs/light/idl.py).
#   scripts/idl-fields.py /path/to/xen-4.17 > tests/data/model/idl-fields.txt
import sys
XEN = sys.argv[1] if len(sys.argv) > 1 else '/work/xenref'
sys.path.insert(0, XEN + '/tools/libs/light')
import idl
(builtins, types) = idl.parse(XEN + '/tools/libs/light/libxl_types.idl')
T={t.typename:t for t in types}
def kind(ty):
    n=ty.typename
    if isinstance(ty,idl.Enumeration): return 'enum'
    if isinstance(ty,idl.KeyedUnion): return 'keyed'
    if isinstance(ty,idl.Struct): return 'struct'
    if isinstance(ty,idl.Array): return 'array'
    return {'int':'int','uint8_t':'u8','uint16_t':'u16','uint32_t':'u32','uint64_t':'u64','bool':'bool','char *':'string',
            'libxl_defbool':'defbool','libxl_uuid':'uuid','libxl_mac':'mac','libxl_bitmap':'bitmap','libxl_string_list':'strlist',
            'libxl_key_value_list':'kvlist','libxl_cpuid_policy_list':'cpuid','libxl_ms_vm_genid':'genid','libxl_hwcap':'hwcap',
            'libxl_domid':'u32','libxl_devid':'int'}[n]
CONST={'LIBXL_MEMKB_DEFAULT':-1,'LIBXL_TIMER_MODE_DEFAULT':-1,'LIBXL_MAX_GRANT_DEFAULT':4294967295,'LIBXL_INVALID_GFN':-1,'-1':-1,'1':1}
def ival(f):
    v=f.init_val if f.init_val is not None else f.type.init_val
    if v is None: return None
    if v in CONST: return CONST[v]
    if v.startswith('LIBXL_DOMAIN_SCHED_PARAM') or v.startswith('LIBXL_SCHED_PARAM'): return -1
    if isinstance(f.type,idl.Enumeration):
        for e in f.type.values:
            if e.name==v: return e.value
    raise Exception(v)
def en(ty): return ''.join('%s:%d,'%(v.valuename.lower(),v.value) for v in ty.values)
def dump(prefix, ty):
    for f in ty.fields:
        k=kind(f.type)
        if f.const: k='cstring'
        s='%s%s %s'%(prefix,f.name if k!='keyed' else 'u',k)
        iv=ival(f) if k not in ('struct','keyed','array') else None
        if iv is not None:
            if k=='u32' and iv==-1: iv=4294967295
            if k=='int' and iv==4294967295: iv=-1
            s+=' init=%d'%iv
        if k=='array':
            s+=' elem=%s'%kind(f.type.elem_type)
            if isinstance(f.type.elem_type,idl.Enumeration): s+=' enum='+en(f.type.elem_type)
        if k=='enum': s+=' enum='+en(f.type)
        print(s)
        if k=='struct': dump(prefix+f.name+'.', f.type)
        if k=='array' and isinstance(f.type.elem_type,idl.Struct): dump(prefix+f.name+'.', f.type.elem_type)
        if k=='keyed':
            ku=f.type
            init=ku.keyvar.init_val or ku.keyvar.type.init_val
            ini=0
            for e in ku.keyvar.type.values:
                if e.name==init: ini=e.value
            for a in ku.fields:
                ev=ku.keyvar.type.lookup(a.name)
                print('%s%s.%s arm key=%d init=%d'%(prefix,ku.keyvar.name,a.name,ev.value,ini))
                if a.type is not None: dump('%s%s.%s.'%(prefix,ku.keyvar.name,a.name), a.type)
dump('', T['libxl_domain_config'])
