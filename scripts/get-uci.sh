#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Exports classic UCI benchmark data sets from Debian's r-cran-mlbench into CSV files deepdot reads
# (header row, numeric features, the class name in a last column "class"), each with a fixed train/test
# split. Installs r-cran-mlbench (and R) when missing, through scripts/setup.sh (root or sudo).
#   bash scripts/get-uci.sh [--out DIR] [SET|GROUP ...]      (default: every set, into data/uci)
# writes DIR/<set>-train.csv, DIR/<set>-test.csv and DIR/sets.csv (sizes, split rule, encoding per set).
#
# Sets (mlbench name; split; group):
#   letter       LetterRecognition    first 16,000 rows train, last 4,000 test        tuning
#   satellite    Satellite            first 4,435 train, last 2,000 test               tuning
#   vehicle      Vehicle              every 4th row test                               tuning
#   ionosphere   Ionosphere           first 200 train, last 151 test                   tuning
#   dna          DNA                  first 2,000 train, last 1,186 test (Statlog)     held-out
#   vowel        Vowel                speakers 0-7 train (528), 8-14 test (462)        held-out
#   sonar        Sonar                every 4th row test                               held-out
#   pima         PimaIndiansDiabetes  every 4th row test                               held-out
#   breastcancer BreastCancer         every 4th row test (rows with a missing value dropped first)  held-out
#   glass        Glass                every 4th row test                               held-out
#   housevotes   HouseVotes84         every 4th row test                               held-out
#   shuttle      Shuttle              first 43,500 train, last 14,500 test (Statlog)   held-out
# "tuning": the sets to look at while choosing deepdot's defaults. "held-out": the sets to leave alone
# until the defaults are fixed, then report, so that the defaults are checked on data they were not
# tuned on. A group name on the command line stands for its sets.
#
# Encoding: numeric columns are written as they are (no scaling: that is each tool's job); factors whose
# levels are numbers (0/1 indicators, BreastCancer's ordered 1-10) become those numbers; HouseVotes84's
# yes/no votes are one-hot (two 0/1 columns per vote, a missing vote 0 in both); Vowel drops the speaker
# number, BreastCancer its Id column. scripts/uci_export.R has the details.
set -euo pipefail
cd "$(dirname "$0")/.."
out=data/uci
sets=()
while (($#)); do
  case "$1" in
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    -h|--help) sed -n '3,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "get-uci.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) sets+=("$1"); shift ;;
  esac
done

# R and mlbench (about 100 MB with R itself) only for this script, not for every build.
DEEPDOT_EXTRA_PACKAGES="r-cran-mlbench ${DEEPDOT_EXTRA_PACKAGES:-}" bash scripts/setup.sh
Rscript scripts/uci_export.R "$out" "${sets[@]}"
echo "get-uci.sh: wrote $out/sets.csv and the CSV files it lists"
