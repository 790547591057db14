/* false: do nothing, unsuccessfully (exit status 1, as coreutils' false). */
int main(void) { return 1; }
