# xl.cfg conformance: vxl create -n against Xen 4.17's answers
. "$(dirname "$0")/../lib.sh"
bash "$VXL_TOP/scripts/check-xlcfg.sh" --tap "$VXL"
