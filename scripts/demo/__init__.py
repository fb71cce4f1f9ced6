"""The demo scenario's parts (scripts/demo_traffic.py plays them): what its shoppers are made
of (`content`), how they reach the functions and the local platforms (`platform`), and what
they do in a day (`shoppers`)."""
