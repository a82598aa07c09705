"""Writes the two digits configs the overhead scripts compare into WORK: every-epoch.json
(Configs/digits-mlp.json as shipped, a checkpoint every epoch) and final-only.json (periodic
checkpoints off; the final model is written either way), both with an absolute data path.

    python3 benchmarks/scripts/digits-variants.py ROOT WORK
"""
import json
import sys

root, work = sys.argv[1], sys.argv[2]
config = json.load(open(f"{root}/Configs/digits-mlp.json"))
config["data"]["path"] = f"{root}/datasets/digits.csv"
json.dump(config, open(f"{work}/every-epoch.json", "w"))
config["checkpoint"] = {"every_epochs": 0}
json.dump(config, open(f"{work}/final-only.json", "w"))
