/*
 * random: getentropy and arc4random_buf give 64 bytes that are not all zero
 * and differ between calls; a bigger sample has about half of its bits set.
 */
#include <sys/random.h>

#include "common.h"

static int all_zero(const unsigned char *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return 0;
    return 1;
}

static void pair(const char *name, const unsigned char *a, const unsigned char *b) {
    printf("%s: first non-zero %d, second non-zero %d, differ %d\n", name, !all_zero(a, 64),
           !all_zero(b, 64), memcmp(a, b, 64) != 0);
    CHECK(!all_zero(a, 64) && !all_zero(b, 64) && memcmp(a, b, 64) != 0);
}

int main(void) {
    unsigned char a[64], b[64];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    EXPECT_OK(getentropy(a, sizeof a), "getentropy 64");
    EXPECT_OK(getentropy(b, sizeof b), "getentropy 64 again");
    pair("getentropy", a, b);
    unsigned char c[300];
    EXPECT_OK(getentropy(c, 256), "getentropy 256");
    EXPECT_ERR(getentropy(c, 257), EIO, "getentropy 257");

    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    arc4random_buf(a, sizeof a);
    arc4random_buf(b, sizeof b);
    pair("arc4random_buf", a, b);

    static unsigned char big[65536];
    arc4random_buf(big, sizeof big);
    long bits = 0;
    for (size_t i = 0; i < sizeof big; i++)
        bits += __builtin_popcount(big[i]);
    /* 524288 bits, sd ~362: +-5000 is ~14 sd */
    printf("arc4random bit balance: %s\n", bits > 262144 - 5000 && bits < 262144 + 5000 ? "ok" : "off");
    CHECK(bits > 262144 - 5000 && bits < 262144 + 5000);

    unsigned x = arc4random(), y = arc4random(), z = arc4random();
    printf("arc4random varies: %d\n", !(x == y && y == z));
    CHECK(!(x == y && y == z));
    unsigned u = arc4random_uniform(10);
    printf("arc4random_uniform(10) < 10: %d\n", u < 10);
    return finish();
}
