# SPDX-License-Identifier: MIT
# Writes classic UCI data sets shipped by the R package mlbench (Debian: r-cran-mlbench) as CSV files
# that deepdot reads as they are: a header row, one row per point, numeric features, the class name in
# a last column called "class". Run through scripts/get-uci.sh:
#   Rscript scripts/uci_export.R OUT_DIR [SET|GROUP ...]       (none: all of them)
# For each set it writes OUT_DIR/<set>-train.csv and OUT_DIR/<set>-test.csv, and then OUT_DIR/sets.csv,
# one line per set present (name, mlbench source, group, sizes, split rule, encoding).
#
# Groups: "tuning" sets are the ones to look at while choosing deepdot's defaults; "held-out" sets are
# only run to report, so that the defaults are checked on data nobody tuned them on.
#
# Splits are deterministic (no random numbers): the documented train/test split of the source when it
# has one, otherwise every 4th row (rows 4, 8, 12, ... in mlbench's order) is a test point and the
# others are training points; several of these sources are sorted by class, so this also spreads every
# class over both parts.
suppressPackageStartupMessages(library(mlbench))

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 1) stop("usage: Rscript uci_export.R OUT_DIR [SET ...]")
out_dir <- args[1]
wanted <- args[-1]

every_fourth <- "every 4th row (4, 8, ...) test, the others train"
fourth_rows <- function(n) which(seq_len(n) %% 4 == 0)

# A factor whose levels are numbers ("0"/"1", ordered "1".."10") becomes those numbers.
numeric_codes <- function(f) as.numeric(as.character(f))

# One entry per set: the mlbench data frame, the label column, its group, how the test rows are chosen
# and what is done to the columns before writing.
sets <- list(
  letter = list(source = "LetterRecognition", label = "lettr", group = "tuning",
                test = function(n) 16001:20000, split = "first 16000 rows train, last 4000 test (documented)",
                encoding = "16 integer features 0-15, as in the source"),
  satellite = list(source = "Satellite", label = "classes", group = "tuning",
                   test = function(n) 4436:6435, split = "first 4435 rows train, last 2000 test (documented)",
                   encoding = "36 pixel values 0-255, as in the source"),
  vehicle = list(source = "Vehicle", label = "Class", group = "tuning", test = fourth_rows, split = every_fourth,
                 encoding = "18 numeric features, as in the source"),
  ionosphere = list(source = "Ionosphere", label = "Class", group = "tuning",
                    test = function(n) 201:351, split = "first 200 rows train, last 151 test (the source's split)",
                    encoding = "V1 (factor 0/1) as 0/1; V2 is 0 in every row and is kept, as users get it"),
  dna = list(source = "DNA", label = "Class", group = "held-out",
             test = function(n) 2001:3186, split = "first 2000 rows train, last 1186 test (the Statlog split)",
             encoding = "180 binary indicators (3 per nucleotide, the Statlog encoding) as 0/1"),
  vowel = list(source = "Vowel", label = "Class", group = "held-out",
               test = function(n) 529:990,
               split = "speakers 0-7 train (first 528 rows), speakers 8-14 test (last 462; the source's split)",
               encoding = "the 9 log-area ratios mlbench has; the speaker number V1 is dropped (the test speakers are new)"),
  sonar = list(source = "Sonar", label = "Class", group = "held-out", test = fourth_rows, split = every_fourth,
               encoding = "60 numeric features, as in the source"),
  pima = list(source = "PimaIndiansDiabetes", label = "diabetes", group = "held-out", test = fourth_rows,
              split = every_fourth, encoding = "8 numeric features, as in the source (0 stands for missing in some)"),
  breastcancer = list(source = "BreastCancer", label = "Class", group = "held-out", test = fourth_rows,
                      split = paste(every_fourth, "(after dropping the 16 rows with a missing Bare.nuclei)"),
                      encoding = "9 ordered factors 1-10 as their numbers; Id dropped; rows with a missing value dropped"),
  glass = list(source = "Glass", label = "Type", group = "held-out", test = fourth_rows, split = every_fourth,
               encoding = "9 numeric features, as in the source; classes are the type numbers 1-7"),
  housevotes = list(source = "HouseVotes84", label = "Class", group = "held-out", test = fourth_rows,
                    split = every_fourth,
                    encoding = "16 votes one-hot as 2 indicators each (yes, no); a missing vote is 0 in both"),
  shuttle = list(source = "Shuttle", label = "Class", group = "held-out",
                 test = function(n) 43501:58000, split = "first 43500 rows train, last 14500 test (the Statlog split)",
                 encoding = "9 numeric features, as in the source")
)

# A group name stands for its sets.
groups <- vapply(sets, function(s) s$group, "")
wanted <- unique(unlist(lapply(wanted, function(w) if (w %in% groups) names(sets)[groups == w] else w)))
if (length(wanted) == 0) wanted <- names(sets)
unknown <- setdiff(wanted, names(sets))
if (length(unknown) > 0) stop("unknown set(s): ", paste(unknown, collapse = ", "),
                              "; known: ", paste(names(sets), collapse = ", "))

# The features of a set as a numeric data frame, label excluded, with the set's own treatment.
features_of <- function(name, df, label) {
  x <- df[, setdiff(names(df), label), drop = FALSE]
  if (name == "vowel") x$V1 <- NULL
  if (name == "breastcancer") x$Id <- NULL
  if (name == "housevotes") {
    onehot <- list()
    for (v in names(x)) {
      onehot[[paste0(v, ".yes")]] <- as.numeric(!is.na(x[[v]]) & x[[v]] == "y")
      onehot[[paste0(v, ".no")]] <- as.numeric(!is.na(x[[v]]) & x[[v]] == "n")
    }
    x <- as.data.frame(onehot)
  }
  for (v in names(x)) if (is.factor(x[[v]])) x[[v]] <- numeric_codes(x[[v]])
  x
}

# write.csv into a temporary name, then a rename: no half-written file is ever seen under the real name.
write_atomic <- function(df, path) {
  tmp <- paste0(path, ".tmp")
  write.csv(df, tmp, row.names = FALSE)
  if (!file.rename(tmp, path)) stop("cannot rename ", tmp, " to ", path)
}

dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
manifest <- NULL
for (name in wanted) {
  s <- sets[[name]]
  env <- new.env()
  data(list = s$source, package = "mlbench", envir = env)
  df <- get(s$source, envir = env)
  if (name == "breastcancer") df <- df[complete.cases(df), ]
  x <- features_of(name, df, s$label)
  if (anyNA(x)) stop(name, ": missing values left in ", paste(names(x)[colSums(is.na(x)) > 0], collapse = ", "))
  out <- cbind(x, class = as.character(df[[s$label]]))
  test <- s$test(nrow(out))
  train <- setdiff(seq_len(nrow(out)), test)
  write_atomic(out[train, ], file.path(out_dir, paste0(name, "-train.csv")))
  write_atomic(out[test, ], file.path(out_dir, paste0(name, "-test.csv")))
  manifest <- rbind(manifest, data.frame(name = name, source = s$source, group = s$group,
                                         train = length(train), test = length(test), features = ncol(x),
                                         classes = length(unique(out$class)), split = s$split,
                                         encoding = s$encoding))
  cat(sprintf("%-12s %-8s %6d train %6d test %4d features %3d classes  (mlbench %s)\n", name, s$group,
              length(train), length(test), ncol(x), length(unique(out$class)), s$source))
}

# The manifest keeps the lines of sets exported earlier that this run did not touch.
manifest_path <- file.path(out_dir, "sets.csv")
if (file.exists(manifest_path)) {
  old <- read.csv(manifest_path, stringsAsFactors = FALSE)
  manifest <- rbind(old[!(old$name %in% manifest$name), ], manifest)
}
manifest <- manifest[order(match(manifest$name, names(sets))), ]
write_atomic(manifest, manifest_path)
