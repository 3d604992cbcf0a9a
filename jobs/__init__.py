"""Scheduled work: thin functions on PTB's JobQueue that ask a service what is due."""
