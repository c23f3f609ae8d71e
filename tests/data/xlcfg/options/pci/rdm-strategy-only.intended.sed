# an absent (default) policy is not printed
/^                "policy": null$/d
s/^\(                "strategy": "host"\),$/\1/
