# raftctl and lib/client: filled in by their owner
