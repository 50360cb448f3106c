"""The durable journal: every value change is written here before it goes to the network."""
