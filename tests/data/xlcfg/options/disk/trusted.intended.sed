# the disk's trusted flag (libxl_device_disk.trusted, its last field)
s/^\(            "readwrite": 1\)$/\1,\n            "trusted": "True"/
