"""Pages of coaching: evaluations (list, new, edit, detail, share, acknowledge), trends, skills."""
