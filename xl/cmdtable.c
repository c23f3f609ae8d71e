/* xl/cmdtable.c — vxl's commands, with xl's names and usage texts. */
#include <string.h>
#include "common/util.h"
#include "xl/xl.h"

const struct cmd_spec cmd_table[] = {
    { "create", main_create, true,
      "Create a domain from config file <filename>",
      "<ConfigFile> [options] [vars]",
      "-h                      Print this help.\n"
      "-p                      Leave the domain paused after it is created.\n"
      "-c                      Connect to the console after the domain is created.\n"
      "-f FILE, --defconfig=FILE\n"
      "                        Use the given configuration file.\n"
      "-q, --quiet             Quiet.\n"
      "-n, --dryrun            Dry run - prints the resulting configuration\n"
      "                         (deprecated in favour of global -N option).\n"
      "-d                      Enable debug messages.\n"
      "-F                      Run in foreground until death of the domain.\n"
      "-e                      Do not wait in the background for the death of the domain.\n"
      "-V, --vncviewer         Connect to the VNC display after the domain is created.\n"
      "-A, --vncviewer-autopass\n"
      "                        Pass VNC password to viewer via stdin."
    },
    { "block-attach", main_blockattach, true,
      "Create a new virtual block device",
      "<Domain> <disk-spec-component(s)>...",
      NULL
    },
    { "network-attach", main_networkattach, true,
      "Create a new network device",
      "<Domain> [type=<type>] [mac=<mac>] [bridge=<bridge>] "
      "[ip=<ip>] [script=<script>] [backend=<BackDomain>] [vifname=<name>] "
      "[rate=<rate>] [model=<model>] [accel=<accel>]",
      NULL
    },
    { "vcpu-pin", main_vcpupin, true,
      "Set which CPUs a VCPU can use",
      "[option] <Domain> <VCPU|all> <Hard affinity|-|all> <Soft affinity|-|all>",
      "-f, --force        undo an override pinning done by the kernel"
    },
    { "img", main_img, false,
      "Inspect, create, check and convert disk images (qemu-img's commands)",
      "<command> [options] ...",
      NULL
    },
    { "help", main_help, true,
      "Print help information",
      "[-a] [command]",
      NULL
    },
};
const int cmd_table_len = ARRAY_SIZE(cmd_table);

const struct cmd_spec *cmd_find(const char *name)
{
    for (int i = 0; i < cmd_table_len; i++)
        if (!strcmp(cmd_table[i].name, name))
            return &cmd_table[i];
    return NULL;
}
