/* xl/create.c — placeholder until its command family lands. */
#include <stdio.h>
#include "xl/xl.h"

int main_create(int argc, char **argv)
{
    fprintf(stderr, "vxl %s: not yet supported\n", argv[0]);
    return 1;
}
