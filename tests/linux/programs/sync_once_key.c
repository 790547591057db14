/* pthread_once runs its routine once (also when called from inside it for
 * another control); thread-specific keys: values, deletion (a re-created key
 * reads NULL), EINVAL for keys that do not exist, destructors not run by
 * exit(). */
// linux-test: cflags=-pthread
#include "linuxtest.h"
#include <pthread.h>

static pthread_once_t once = PTHREAD_ONCE_INIT, inner = PTHREAD_ONCE_INIT;
static int runs, inner_runs;

static void inner_init(void) { inner_runs++; }

static void init(void) {
    runs++;
    CHECK_ERRNO(pthread_once(&inner, inner_init));
}

static void dtor(void *p) { printf("destructor(%s)\n", (char *)p); }

int main(void) {
    for (int i = 0; i < 3; i++)
        CHECK_ERRNO(pthread_once(&once, init));
    CHECK_ERRNO(pthread_once(&inner, inner_init));
    printf("runs %d, inner runs %d\n", runs, inner_runs);

    pthread_key_t k1, k2, k3;
    CHECK_ERRNO(pthread_key_create(&k1, NULL));
    CHECK_ERRNO(pthread_key_create(&k2, dtor));
    printf("k1 != k2: %d\n", k1 != k2);
    printf("fresh is NULL: %d\n", pthread_getspecific(k1) == NULL);
    static char a[] = "a", b[] = "b";
    CHECK_ERRNO(pthread_setspecific(k1, a));
    CHECK_ERRNO(pthread_setspecific(k2, b));
    printf("k1: %s, k2: %s\n", (char *)pthread_getspecific(k1), (char *)pthread_getspecific(k2));
    CHECK_ERRNO(pthread_setspecific(k1, NULL));
    printf("k1 cleared is NULL: %d\n", pthread_getspecific(k1) == NULL);

    /* Deleting a key forgets its values; no destructor runs. */
    CHECK_ERRNO(pthread_key_delete(k2));
    CHECK_ERRNO(pthread_key_delete(k2));
    CHECK_ERRNO(pthread_setspecific(k2, b));
    printf("deleted is NULL: %d\n", pthread_getspecific(k2) == NULL);
    CHECK_ERRNO(pthread_key_create(&k3, dtor));
    printf("recreated reads NULL: %d\n", pthread_getspecific(k3) == NULL);
    CHECK_ERRNO(pthread_setspecific(k3, b));
    printf("k3: %s\n", (char *)pthread_getspecific(k3));

    /* Keys that never existed. */
    CHECK_ERRNO(pthread_setspecific((pthread_key_t)100000, a));
    CHECK_ERRNO(pthread_key_delete((pthread_key_t)100000));
    printf("getspecific(100000) is NULL: %d\n", pthread_getspecific((pthread_key_t)100000) == NULL);

    /* Many keys at once (POSIX guarantees at least 128). */
    pthread_key_t many[100];
    int made = 0;
    for (int i = 0; i < 100; i++)
        made += pthread_key_create(&many[i], NULL) == 0;
    printf("made %d keys\n", made);
    for (int i = 0; i < made; i++)
        pthread_setspecific(many[i], &many[i]);
    int good = 0;
    for (int i = 0; i < made; i++)
        good += pthread_getspecific(many[i]) == &many[i];
    printf("%d values read back\n", good);
    for (int i = 0; i < made; i++)
        MUST(pthread_key_delete(many[i]) == 0);
    printf("k1 still is NULL: %d\n", pthread_getspecific(k1) == NULL);

    /* exit() does not run key destructors (k3 holds "b"). */
    exit(0);
}
