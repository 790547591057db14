/* <sys/queue.h>, the BSD list macros glibc ships (musl does not): LIST,
 * SLIST, STAILQ, TAILQ insertions, removals and traversal orders. */
#include "linuxtest.h"
#include <sys/queue.h>

struct item {
    int v;
    LIST_ENTRY(item) le;
    TAILQ_ENTRY(item) te;
    SLIST_ENTRY(item) se;
    STAILQ_ENTRY(item) ste;
};

int main(void) {
    struct item it[5];
    LIST_HEAD(, item) list = LIST_HEAD_INITIALIZER(list);
    TAILQ_HEAD(tqh, item) tq = TAILQ_HEAD_INITIALIZER(tq);
    SLIST_HEAD(, item) sl = SLIST_HEAD_INITIALIZER(sl);
    STAILQ_HEAD(, item) stq = STAILQ_HEAD_INITIALIZER(stq);
    for (int i = 0; i < 5; i++) {
        it[i].v = i;
        LIST_INSERT_HEAD(&list, &it[i], le);
        TAILQ_INSERT_TAIL(&tq, &it[i], te);
        SLIST_INSERT_HEAD(&sl, &it[i], se);
        STAILQ_INSERT_TAIL(&stq, &it[i], ste);
    }
    LIST_REMOVE(&it[2], le);
    TAILQ_REMOVE(&tq, &it[0], te);
    TAILQ_INSERT_HEAD(&tq, &it[0], te);
    struct item *p;
    printf("LIST:");
    LIST_FOREACH(p, &list, le) printf(" %d", p->v);
    printf("\nSLIST:");
    SLIST_REMOVE_HEAD(&sl, se);
    SLIST_FOREACH(p, &sl, se) printf(" %d", p->v);
    printf("\nSTAILQ:");
    STAILQ_REMOVE_HEAD(&stq, ste);
    STAILQ_FOREACH(p, &stq, ste) printf(" %d", p->v);
    printf("\nTAILQ reverse:");
    TAILQ_REMOVE(&tq, &it[0], te);
    TAILQ_INSERT_AFTER(&tq, &it[3], &it[0], te);
    TAILQ_FOREACH_REVERSE(p, &tq, tqh, te) printf(" %d", p->v);
    printf("\nempty %d first %d\n", TAILQ_EMPTY(&tq), TAILQ_FIRST(&tq)->v);
    return 0;
}
