#!/bin/sh
# scripts/mkhello.sh [FILE] — write a 512-byte boot sector (default
# build/hello.img) that prints a greeting on the first serial port and
# powers the machine off: the guest of examples/hello.hvm.
#
# The code (16-bit, loaded at 0x7c00):
#   cli; xor ax,ax; mov ds,ax; mov si,msg
#   1: lodsb; test al,al; jz 2f; mov dx,0x3f8; out dx,al; jmp 1b
#   2: mov dx,0x604; mov ax,0x2000; out dx,ax     (ACPI S5: power off)
#   3: hlt; jmp 3b
#   msg: the greeting, NUL-terminated; 0x55 0xaa at offset 510
set -e
out=${1:-build/hello.img}
msg='Hello from a vxl guest: it booted, printed this on its serial port and now powers off.'
mkdir -p "$(dirname "$out")"
{
    printf '\372\061\300\216\330\276\035\174\254\204\300\164\006'
    printf '\272\370\003\356\353\365'
    printf '\272\004\006\270\000\040\357'
    printf '\364\353\375'
    printf '%s\r\n\000' "$msg"
    head -c $((510 - 29 - ${#msg} - 3)) /dev/zero
    printf '\125\252'
} > "$out"
[ "$(wc -c < "$out")" -eq 512 ]
