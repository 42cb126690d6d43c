"""Residents' committee elections (居委会换届选举): rounds, elections, the timeline, voters, the count."""
