/* tests/fuzz/fuzz_vdi.c — libFuzzer target: arbitrary bytes opened as a vdi
 * image (the harness is fuzz_vmdk.c's, with the format changed). */
#define FUZZ_FORMAT "vdi"
#include "tests/fuzz/fuzz_vmdk.c"
