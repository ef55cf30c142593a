#ifndef CLIENTELE_CYAML_SHIM_H
#define CLIENTELE_CYAML_SHIM_H
#include <yaml.h>
#endif
