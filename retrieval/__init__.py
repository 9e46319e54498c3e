"""Knowledge-base retrieval: embedders, the Chroma store and hybrid ranking (issue 4)."""
