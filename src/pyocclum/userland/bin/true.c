/* true: do nothing, successfully (coreutils' true; --help/--version are not parsed). */
int main(void) { return 0; }
