/*
 * The empty program that the spawn benchmarks start over and over: it exits
 * with status 0 and does nothing else.
 *
 *   cc -DPAD_BYTES=N empty.c     pads the program with about N bytes of data
 *
 * With PAD_BYTES the program carries a read-only array of that many bytes
 * that ends up in the binary as loaded data (a wasm data segment, an ELF
 * .rodata section), not as zero-fill (.bss), which would take no room in the
 * file: its first and last bytes are 1. bench/spawn_size.py builds it at
 * several sizes (the x axis of the first figure of the Occlum paper) and
 * checks the sizes of the files it gets. main reads one byte of the array
 * at an index the compiler cannot know (argc), so the array is kept.
 *
 * The array is a struct whose middle member is initialised with {0}: clang
 * handles that as one "fill the rest with zeros" node, while a designated
 * initialiser such as {1, [N - 1] = 1} makes it allocate one node per
 * element (for 50 MB: 8 s and 1.6 GB of memory instead of 0.6 s).
 */
#ifdef PAD_BYTES
#if PAD_BYTES < 3
#error "PAD_BYTES must be at least 3"
#endif
static const struct {
    unsigned char first;
    unsigned char middle[PAD_BYTES - 2];
    unsigned char last;
} pad = {1, {0}, 1};

int main(int argc, char **argv) {
    (void)argv;
    const unsigned char *bytes = (const unsigned char *)&pad;
    /* argc is 1 when the benchmarks run it: reads the first byte, which is 1. */
    return bytes[(unsigned)(argc - 1) % sizeof pad] == 1 ? 0 : 1;
}
#else
int main(void) { return 0; }
#endif
