"""Facts about a module that every rule may ask for, computed once per file."""
