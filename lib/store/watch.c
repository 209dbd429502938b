/* placeholder */
typedef int kube__placeholder_watch;
