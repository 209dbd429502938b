/* labels.c - placeholder, being written (issue 3). */
#include "base/base.h"
