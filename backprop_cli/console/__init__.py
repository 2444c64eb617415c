"""What the command line needs around the library: output streams and encodings, output files, standard
input, several files worked in turn, the installed examples."""
