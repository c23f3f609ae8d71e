/* tests/fuzz/fuzz_vpc.c — libFuzzer target: arbitrary bytes opened as a vpc
 * image (the harness is fuzz_vmdk.c's, with the format changed). */
#define FUZZ_FORMAT "vpc"
#include "tests/fuzz/fuzz_vmdk.c"
