"""Knowledge base: the shared corpus (SCF, ASVS, CSF, KEV) and team documents, searched by BM25 and embeddings."""
