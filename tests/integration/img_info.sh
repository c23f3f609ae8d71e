# `vxl img info` / `map` / `snapshot -l` / `measure` against qemu-img on
# images qemu-img made: text and JSON must be byte-identical.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../img_lib.sh"
have_qemu || { skip "qemu-img/qemu-io not installed"; exit 0; }
cd "$TMPD" || exit 1

"$QI" create -q -f raw r.raw 10M
dd if=/dev/urandom of=r.raw bs=64k count=2 seek=3 conv=notrunc status=none
"$QI" create -q -f qcow2 v3.qcow2 64M
qw v3.qcow2 "write -P 0x11 0 1M" "write -z 4M 1M" "write -P 0x22 8M 64k" \
    "write -P 0x33 9M 3k"
"$QI" create -q -f qcow2 -o compat=0.10 v2.qcow2 1G
qw v2.qcow2 "write -P 0x44 512k 128k"
"$QI" create -q -f qcow2 -o extended_l2=on,cluster_size=128k,compression_type=zstd,lazy_refcounts=on,refcount_bits=8 e.qcow2 100M
qw e.qcow2 "write -P 0x55 0 4k" "write -P 0x66 1M 200k" "write -z 2M 32k"
"$QI" create -q -f qcow2 -o cluster_size=512 small.qcow2 3M
qw small.qcow2 "write -P 0x77 1000 5000"
"$QI" create -q -f qcow2 -o cluster_size=2M big.qcow2 50M
qw big.qcow2 "write -P 0x78 3M 1M"
"$QI" create -q -f qcow2 -b v3.qcow2 -F qcow2 mid.qcow2
qw mid.qcow2 "write -P 0x88 512k 1M" "write -z 8M 64k"
"$QI" create -q -f qcow2 -b mid.qcow2 -F qcow2 top.qcow2 80M
qw top.qcow2 "write -P 0x99 2M 64k"
"$QI" convert -c -O qcow2 v3.qcow2 c.qcow2
cp v3.qcow2 snap.qcow2
"$QI" snapshot -c first snap.qcow2
qw snap.qcow2 "write -P 0xaa 0 64k"
"$QI" snapshot -c second snap.qcow2

for f in r.raw v3.qcow2 v2.qcow2 e.qcow2 small.qcow2 big.qcow2 mid.qcow2 \
         top.qcow2 c.qcow2 snap.qcow2; do
    same "info $f" "info $f"
    same "info --output=json $f" "info --output=json $f"
    same "map --output=json $f" "map --output=json $f"
done
same "info -f raw on a qcow2" "info -f raw v3.qcow2"
same "info -f qcow2 json" "info -f qcow2 --output=json v2.qcow2"
same "info --backing-chain" "info --backing-chain top.qcow2"
same "info --backing-chain json" "info --backing-chain --output=json top.qcow2"
same "info absolute path" "info --output=json $TMPD/top.qcow2"
same "map human raw" "map r.raw"
same "map human qcow2" "map v3.qcow2"
same "map human chain" "map top.qcow2"
same "map human compressed refuses" "map c.qcow2"
same "map --start-offset/--max-length" \
     "map --output=json --start-offset=1M --max-length=8200k top.qcow2"
# A chain whose layers interleave short runs: every run a lower layer
# answers sends block status back through the upper ones (whose answers
# vxl keeps per read-only layer); 4 KiB clusters, runs of every kind.
"$QI" create -q -f qcow2 -o cluster_size=4k i0.qcow2 24M
qw i0.qcow2 "write -P 1 0 3M" "write -z 5M 1M" "write -P 2 9M 4M"
"$QI" create -q -f qcow2 -o cluster_size=4k -b i0.qcow2 -F qcow2 i1.qcow2
c1=(); for ((k = 0; k < 24 * 1024; k += 172)); do c1+=("write -P 3 ${k}k 8k"); done
qw i1.qcow2 "${c1[@]}" "write -z 12M 40k" "discard 2M 64k"
"$QI" create -q -f qcow2 -o cluster_size=4k -b i1.qcow2 -F qcow2 i2.qcow2 30M
c2=(); for ((k = 36; k < 30 * 1024; k += 100)); do c2+=("write -P 4 ${k}k 4k"); done
qw i2.qcow2 "${c2[@]}" "write -z 700k 12k"
same "map interleaved chain" "map --output=json i2.qcow2"
same "map interleaved chain, human" "map i2.qcow2"
for r in "--start-offset=1000k --max-length=3M" "--start-offset=4k --max-length=5k" \
         "--start-offset=12M --max-length=100k" "--start-offset=23M"; do
    same "map interleaved chain $r" "map --output=json $r i2.qcow2"
done
"$QI" create -q -f raw empty.raw 0
same "map json of an empty image" "map --output=json empty.raw"
same "map human of an empty image" "map empty.raw"
same "map json past the end" "map --output=json --start-offset=100M r.raw"
same "snapshot -l" "snapshot -l snap.qcow2"
same "snapshot -l without snapshots" "snapshot -l v3.qcow2"
same "measure qcow2 from qcow2" "measure -O qcow2 v3.qcow2"
same "measure json" "measure --output=json -O qcow2 top.qcow2"
same "measure --size" "measure --size 1G -O qcow2"
same "measure raw" "measure -O raw v3.qcow2"
same "measure raw --size" "measure --size 1000 -O raw"

# errors: exit codes (messages differ only by program name)
same "info missing file" "info nonexistent.img"
same "info bad --output" "info --output=yaml r.raw"
