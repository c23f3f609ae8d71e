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
    { "validate", main_validate, false,
      "Check a config's disks and boot files against this host",
      "[options] <ConfigFile> [vars]",
      "-q, --quiet             Print only problems.\n"
      "--convert               vmdk/vdi disks will be converted (create --convert).\n"
      "--snapshot              Disks will be behind temporary overlays (create --snapshot)."
    },
    { "import", main_import, true,
      "Convert a VMware appliance (.ova, .ovf, .vmx) to disks and a config",
      "[options] <SOURCE>",
      "-o DIR, --output=DIR    Write the disks and NAME.cfg into DIR (default .).\n"
      "-F FMT, --format=FMT    Output disk format: qcow2 (default) or raw.\n"
      "--name=NAME             Domain name (default: the appliance's name).\n"
      "--bridge=BR             Bridge for every network interface.\n"
      "-n, --dry-run           Print the plan and the config; write nothing."
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
      "-f, --force        undo an override pinning done by the kernel\n"
      "--ignore-global-affinity-masks Ignore global masks in xl.conf"
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
    { "list", main_list, false,
      "List information about all/some domains",
      "[options] [Domain]",
      "-l, --long              Output all VM details\n"
      "-v, --verbose           Prints out UUIDs and security context\n"
      "-Z, --context           Prints out security context\n"
      "-c, --cpupool           Prints the cpupool the domain is in\n"
      "-n, --numa              Prints out NUMA node affinity"
    },
    { "destroy", main_destroy, false,
      "Terminate a domain immediately",
      "[options] <Domain>",
      "-f                      Permit destroying domain 0, which will only succeed\n"
      "                        when run from disaggregated toolstack domain with a\n"
      "                        hardware domain distinct from domain 0."
    },
    { "shutdown", main_shutdown, false,
      "Issue a shutdown signal to a domain",
      "[options] <-a|Domain>",
      "-a, --all               Shutdown all guest domains.\n"
      "-h                      Print this help.\n"
      "-F                      Fallback to ACPI power event for HVM guests with\n"
      "                        no PV drivers.\n"
      "-w, --wait              Wait for guest(s) to shutdown."
    },
    { "reboot", main_reboot, false,
      "Issue a reboot signal to a domain",
      "[options] <-a|Domain>",
      "-a, --all               Shutdown all guest domains.\n"
      "-h                      Print this help.\n"
      "-F                      Fallback to ACPI reset event for HVM guests with\n"
      "                        no PV drivers.\n"
      "-w, --wait              Wait for guest(s) to reboot."
    },
    { "pause", main_pause, false,
      "Pause execution of a domain",
      "<Domain>",
      NULL
    },
    { "unpause", main_unpause, false,
      "Unpause a paused domain",
      "<Domain>",
      NULL
    },
    { "console", main_console, false,
      "Attach to domain's console",
      "[options] <Domain>",
      "-t <type>       console type, pv , serial or vuart\n"
      "-n <number>     console number"
    },
    { "domid", main_domid, false,
      "Convert a domain name to domain id",
      "<DomainName>",
      NULL
    },
    { "domname", main_domname, false,
      "Convert a domain id to domain name",
      "<DomainId>",
      NULL
    },
    { "rename", main_rename, false,
      "Rename a domain",
      "<Domain> <NewDomainName>",
      NULL
    },
    { "info", main_info, false,
      "Get information about Xen host",
      "-n, --numa         List host NUMA topology information",
      NULL
    },
    { "uptime", main_uptime, false,
      "Print uptime for all/some domains",
      "[-s] [Domain]",
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
