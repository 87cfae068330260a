/* clawrun: images for sandbox sessions.
 *
 * IMAGE is a root filesystem directory, or an OCI image layout "oci:PATH[:TAG]"
 * (index.json -> manifest -> config + layers; what skopeo, umoci and buildah write).
 * Layers are verified against their digests and extracted once, with libarchive, into
 * a content-addressed cache CACHE/<algo>/<hex>/ (default /var/lib/clawrun/layers),
 * whiteouts and opaque directories turned into overlayfs form (0:0 char devices and
 * the trusted.overlay.opaque xattr), so they can be stacked as overlay lowerdirs.
 */
#ifndef CLAWRUN_IMAGE_H
#define CLAWRUN_IMAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "../runtime/error.h"

#define CLR_DEFAULT_LAYER_CACHE "/var/lib/clawrun/layers"

struct clr_image {
  /* directories to stack, lowest first (a directory image: just that directory) */
  char **layers;
  size_t n_layers;
  char *manifest_digest;   /* "sha256:...", NULL for a directory image */
  /* the image config (NULL / empty when absent, always for a directory image) */
  char **env;              /* NULL-terminated */
  char **entrypoint;       /* NULL-terminated, NULL when unset */
  char **cmd;              /* NULL-terminated, NULL when unset */
  char *working_dir;
  char *user;
};

/* Resolve IMAGE, verifying and extracting layers not in CACHE_DIR yet (NULL: the
 * default).  Errors name the image and the blob: "oci:/x:latest: layer sha256:ab..:
 * digest mismatch".  On error nothing half-extracted is left in the cache. */
int clr_image_open (const char *image, const char *cache_dir, struct clr_image **out, clr_err *err);
void clr_image_free (struct clr_image *img);

#endif
