/* labelselector.c - placeholder, being written. */
#include "object_private.h"
