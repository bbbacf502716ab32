#ifndef HARE_CLIBXML2_SHIM_H
#define HARE_CLIBXML2_SHIM_H

/* Debian's libxml2 is built with ICU, so its encoding.h pulls in ICU's headers, whose types
 * clash with the copy of ICU inside Foundation when a Swift module sees both. The generator
 * never touches libxml2's encoding handlers (it only passes pointers to documents and nodes),
 * so it reads the headers without the ICU parts. */
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

/* xmlFree is a global function pointer, which Swift 6 treats as shared mutable state. */
static inline void hare_xml_free(void *pointer) { xmlFree(pointer); }
#endif
