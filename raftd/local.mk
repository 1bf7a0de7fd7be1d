# raftd: filled in by its owner
