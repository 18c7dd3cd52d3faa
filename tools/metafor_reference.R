# Reference values from R's metafor for tincheck's meta-analysis tests.
#
#   Rscript tools/metafor_reference.R OUT_DIR
#
# writes one JSON file per data set into OUT_DIR: the data as given to metafor and
# what metafor computes from it (escalc, rma with every estimator and test, predict,
# confint, influence, baujat, leave1out, cumul, regtest, ranktest, trimfill, and a
# meta-regression where the data set has a moderator). The data sets are metadat's,
# plus Morris's (2008) pre-post example as typed in metafor's escalc help page.
# tools/metafor_reference.py runs this script and checks its output; the tests in
# tests/stats/test_metafor_reference.py compare tincheck with the stored files.
#
# Convergence is asked of metafor at machine precision (CONTROL below), so that its
# numbers are the estimators' exact values rather than values at its default
# tolerances (a change in tau^2 below 1e-5 for Fisher scoring, uniroot at
# .Machine$double.eps^0.25 for Paule-Mandel and the Q-profile interval).
#
# Needs R with metafor and metadat only (Debian: r-base-core, r-cran-metafor).

suppressPackageStartupMessages(library(metafor))
pdf(NULL)  # baujat() plots as it computes: to no file

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 1) stop("usage: Rscript tools/metafor_reference.R OUT_DIR")
out_dir <- args[1]
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

CONTROL <- list(threshold = 1e-13, maxiter = 10000, tol = 1e-15)
CI_CONTROL <- list(tol = 1e-15, maxiter = 10000)
METHODS <- c("FE", "DL", "REML", "ML", "PM", "SJ", "HE", "HS", "EB")
TESTS <- c(z = "z", knha = "knha", knha_adhoc = "adhoc")
# Influence, leave-one-out and cumulative analyses refit the model k times each, and R
# is slow at it (a second per analysis of 50 studies): every estimator and test on two
# small data sets (ALL), two combinations on most (SOME), one on the largest (FEW).
ALL <- c(paste(METHODS, "z"), "REML knha", "REML knha_adhoc")
SOME <- c("REML z", "DL knha")
FEW <- "REML z"

# --- a small JSON writer (base R has none) -----------------------------------------
num <- function(v) ifelse(is.finite(v), sprintf("%.16g", v), "null")
str <- function(s) paste0('"', gsub('"', '\\\\"', gsub("\\\\", "\\\\\\\\", s)), '"')
json <- function(x, indent = "") {
  inner <- paste0(indent, " ")
  if (is.null(x)) return("null")
  if (is.list(x)) {
    if (length(x) == 0) return(if (is.null(names(x))) "[]" else "{}")
    parts <- vapply(x, json, "", indent = inner)
    if (is.null(names(x))) return(paste0("[", paste(parts, collapse = ", "), "]"))
    return(paste0("{\n", paste0(inner, str(names(x)), ": ", parts, collapse = ",\n"),
                  "\n", indent, "}"))
  }
  if (is.factor(x)) x <- as.character(x)
  if (is.character(x)) vals <- ifelse(is.na(x), "null", str(x))
  else if (is.logical(x)) vals <- ifelse(is.na(x), "null", ifelse(x, "true", "false"))
  else vals <- num(as.numeric(x))
  if (length(x) == 1 && is.null(attr(x, "array"))) return(vals)
  paste0("[", paste(vals, collapse = ", "), "]")
}
arr <- function(x) structure(x, array = TRUE)  # a vector written as an array, even of 1

# Run an expression; keep its warnings; an error becomes {"error": message}.
attempt <- function(expr) {
  warnings <- character()
  value <- withCallingHandlers(
    tryCatch(expr, error = function(e) list(error = conditionMessage(e))),
    warning = function(w) {
      warnings <<- c(warnings, conditionMessage(w))
      invokeRestart("muffleWarning")
    })
  if (length(warnings) && is.list(value)) value$warnings <- arr(unique(warnings))
  value
}

fit <- function(yi, vi, method, test, mods = NULL) {
  if (is.null(mods)) rma(yi, vi, method = method, test = test, control = CONTROL)
  else rma(yi, vi, mods = mods, method = method, test = test, control = CONTROL)
}

pooled <- function(yi, vi, method, test) attempt({
  res <- fit(yi, vi, method, test)
  pr <- predict(res)
  out <- list(estimate = res$beta[1], se = res$se, statistic = res$zval, pvalue = res$pval,
              ci_low = res$ci.lb, ci_high = res$ci.ub, tau2 = res$tau2, I2 = res$I2,
              H2 = res$H2, Q = res$QE, Q_pvalue = res$QEp, pi_low = pr$pi.lb,
              pi_high = pr$pi.ub)
  if (method != "FE") {
    ci <- confint(res, control = CI_CONTROL)$random
    out$tau2_ci_low <- ci["tau^2", "ci.lb"]
    out$tau2_ci_high <- ci["tau^2", "ci.ub"]
    out$I2_ci_low <- ci["I^2(%)", "ci.lb"]
    out$I2_ci_high <- ci["I^2(%)", "ci.ub"]
    out$H2_ci_low <- ci["H^2", "ci.lb"]
    out$H2_ci_high <- ci["H^2", "ci.ub"]
  }
  out
})

influence_of <- function(yi, vi, method, test) attempt({
  inf <- influence(fit(yi, vi, method, test))
  list(rstudent = arr(inf$inf$rstudent), dffits = arr(inf$inf$dffits),
       cook_d = arr(inf$inf$cook.d), cov_r = arr(inf$inf$cov.r),
       tau2_del = arr(inf$inf$tau2.del), QE_del = arr(inf$inf$QE.del),
       hat = arr(inf$inf$hat), weight = arr(inf$inf$weight),
       dfbetas = arr(inf$dfbs$intrcpt), influential = arr(inf$is.infl))
})

repooled <- function(x) list(
  estimate = arr(x$estimate), se = arr(x$se),
  statistic = arr(if (is.null(x$zval)) x$tval else x$zval),
  pvalue = arr(if (is.null(x$pval)) x$pvals else x$pval), ci_low = arr(x$ci.lb),
  ci_high = arr(x$ci.ub), Q = arr(x$Q), Q_pvalue = arr(x$Qp),
  tau2 = arr(if (is.null(x$tau2)) rep(0, length(x$estimate)) else x$tau2),
  I2 = arr(x$I2), H2 = arr(x$H2))

small_study <- function(yi, vi, method) {
  res <- fit(yi, vi, method, "z")
  list(
    method = method,
    egger_lm = attempt({
      r <- regtest(res, model = "lm")
      list(statistic = r$zval, pvalue = r$pval, df = r$dfs, limit_estimate = r$est,
           limit_ci_low = r$ci.lb, limit_ci_high = r$ci.ub)
    }),
    egger_rma = attempt({
      r <- regtest(res)
      list(statistic = r$zval, pvalue = r$pval, limit_estimate = r$est,
           limit_ci_low = r$ci.lb, limit_ci_high = r$ci.ub)
    }),
    begg = attempt({
      r <- ranktest(res)
      list(tau = r$tau, pvalue = r$pval)
    }),
    trimfill = attempt({
      r <- trimfill(res, control = CONTROL)
      list(k0 = r$k0, se_k0 = r$se.k0, side = r$side, estimate = r$beta[1], se = r$se,
           ci_low = r$ci.lb, ci_high = r$ci.ub, tau2 = r$tau2,
           filled_yi = arr(r$yi[r$fill]), filled_vi = arr(r$vi[r$fill]))
    }))
}

regression <- function(yi, vi, x, method, test) attempt({
  res <- fit(yi, vi, method, test, mods = x)
  out <- list(coef = arr(c(res$beta)), se = arr(res$se), statistic = arr(res$zval),
              pvalue = arr(res$pval), ci_low = arr(res$ci.lb), ci_high = arr(res$ci.ub),
              tau2 = res$tau2, QE = res$QE, QE_pvalue = res$QEp, QM = res$QM,
              QM_pvalue = res$QMp, I2 = res$I2, H2 = res$H2, R2 = res$R2)
  if (method != "FE") {
    ci <- confint(res, control = CI_CONTROL)$random
    out$tau2_ci_low <- ci["tau^2", "ci.lb"]
    out$tau2_ci_high <- ci["tau^2", "ci.ub"]
  }
  out
})

# --- one data set: everything tincheck compares ---------------------------------------
analyse <- function(name, source, measure, data, escalc_args, labels, year = NULL,
                    moderator = NULL, extra_measures = character(), combos = SOME) {
  es <- do.call(escalc, c(list(measure = measure, data = data), escalc_args))
  yi <- as.numeric(es$yi)
  vi <- as.numeric(es$vi)
  raw <- lapply(escalc_args, function(col) arr(eval(col, data)))
  effects <- list()
  for (m in c(measure, extra_measures)) {
    e <- do.call(escalc, c(list(measure = m, data = data), escalc_args))
    effects[[m]] <- list(yi = arr(as.numeric(e$yi)), vi = arr(as.numeric(e$vi)))
  }
  grid <- list()
  for (method in METHODS) for (test in names(TESTS))
    grid[[paste(method, test)]] <- pooled(yi, vi, method, TESTS[[test]])
  order <- if (is.null(year)) seq_along(yi) else year
  infl <- list(); l1o <- list(); cum <- list(); bau <- list()
  for (combo in combos) {
    parts <- strsplit(combo, " ")[[1]]
    method <- parts[1]; test <- TESTS[[parts[2]]]
    infl[[combo]] <- influence_of(yi, vi, method, test)
    l1o[[combo]] <- attempt(repooled(leave1out(fit(yi, vi, method, test))))
    # cumul() looks its order up in the data of the model: fit on a data frame
    cum[[combo]] <- attempt(repooled(cumul(
      rma(yi, vi, data = data.frame(yi = yi, vi = vi, ord = order), method = method,
          test = test, control = CONTROL), order = ord)))
  }
  for (method in intersect(c("FE", "REML"), sub(" .*", "", combos)))
    bau[[method]] <- attempt({
      b <- baujat(fit(yi, vi, method, "z"))
      list(heterogeneity = arr(b$x), influence = arr(b$y))
    })
  out <- list(
    name = name, source = source, measure = measure,
    data = c(list(label = arr(as.character(labels))), raw,
             if (is.null(year)) list() else list(year = arr(year)),
             if (is.null(moderator)) list() else list(moderator = arr(moderator))),
    escalc = effects, rma = grid, influence = infl, baujat = bau, leave1out = l1o,
    cumul = c(list(order_by = if (is.null(year)) "input" else "year"), cum),
    small_study = list(REML = small_study(yi, vi, "REML"), FE = small_study(yi, vi, "FE")))
  if (!is.null(moderator)) {
    reg <- list()
    for (method in METHODS) for (test in c("z", "knha"))
      reg[[paste(method, test)]] <- regression(yi, vi, moderator, method, TESTS[[test]])
    out$meta_regression <- reg
    out$influence_regression <- attempt({
      inf <- influence(fit(yi, vi, "REML", "z", mods = moderator))
      list(rstudent = arr(inf$inf$rstudent), dffits = arr(inf$inf$dffits),
           cook_d = arr(inf$inf$cook.d), cov_r = arr(inf$inf$cov.r),
           tau2_del = arr(inf$inf$tau2.del), QE_del = arr(inf$inf$QE.del),
           hat = arr(inf$inf$hat), weight = arr(inf$inf$weight),
           dfbetas_intrcpt = arr(inf$dfbs[[1]]), dfbetas_x = arr(inf$dfbs[[2]]),
           influential = arr(inf$is.infl))
    })
  }
  if (measure %in% c("RR", "OR", "RD", "PLO", "PR")) {
    # the other continuity corrections of escalc(add = 1/2, to = ...)
    cont <- list()
    for (m in c(measure, extra_measures)) for (to in c("all", "if0all", "none")) {
      e <- suppressWarnings(do.call(escalc, c(list(measure = m, data = data, to = to),
                                              escalc_args)))
      cont[[paste(m, to)]] <- list(yi = arr(as.numeric(e$yi)), vi = arr(as.numeric(e$vi)))
    }
    out$escalc_continuity <- cont
  }
  writeLines(json(out), file.path(out_dir, paste0(name, ".json")), useBytes = TRUE)
  cat(name, "k =", length(yi), "\n")
}

md <- function(name) {
  e <- new.env()
  data(list = name, package = "metadat", envir = e)
  get(name, envir = e)
}

d <- md("dat.bcg")
analyse("bcg", "metadat dat.bcg (Colditz et al. 1994)", "RR", d,
        alist(ai = tpos, bi = tneg, ci = cpos, di = cneg),
        paste(d$author, d$year), year = d$year, moderator = d$ablat,
        extra_measures = c("OR", "RD"), combos = ALL)

d <- md("dat.egger2001")
analyse("egger2001", "metadat dat.egger2001 (magnesium trials)", "OR", d,
        alist(ai = ai, n1i = n1i, ci = ci, n2i = n2i), d$study, year = d$year,
        extra_measures = c("RR", "RD"))

d <- md("dat.li2007")
analyse("li2007", "metadat dat.li2007 (magnesium trials)", "OR", d,
        alist(ai = ai, n1i = n1i, ci = ci, n2i = n2i), d$study, year = d$year,
        extra_measures = c("RR", "RD"))

d <- md("dat.nielweise2007")
analyse("nielweise2007", "metadat dat.nielweise2007 (catheter infections)", "RR", d,
        alist(ai = ai, n1i = n1i, ci = ci, n2i = n2i), d$author, year = d$year,
        extra_measures = c("OR", "RD"))

d <- md("dat.hine1989")
analyse("hine1989", "metadat dat.hine1989 (lidocaine trials)", "RD", d,
        alist(ai = ai, n1i = n1i, ci = ci, n2i = n2i), d$source,
        extra_measures = c("RR", "OR"))

d <- md("dat.laopaiboon2015")
analyse("laopaiboon2015", "metadat dat.laopaiboon2015 (azithromycin trials)", "RR", d,
        alist(ai = ai, n1i = n1i, ci = ci, n2i = n2i), d$author, year = d$year,
        extra_measures = c("OR", "RD"))

d <- md("dat.normand1999")
analyse("normand1999", "metadat dat.normand1999 (stroke rehabilitation)", "SMD", d,
        alist(m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i),
        d$source)

d <- md("dat.gibson2002")
d <- d[!is.na(d$m1i), ]
analyse("gibson2002", "metadat dat.gibson2002 (asthma self-management), rows with means",
        "SMD", d,
        alist(m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i),
        d$author, year = d$year)

# Morris SB (2008) Organ Res Methods 11:364-386, Table 1 (treatment groups), as typed in
# metafor's help page for escalc(): a pre-post design. m1i is the post-treatment mean so
# that yi = (post - pre)/sd_pre, as in that example.
d <- data.frame(m_pre = c(30.6, 23.5, 0.5, 53.4, 35.6),
                m_post = c(38.5, 26.8, 0.7, 75.9, 36.0),
                sd_pre = c(15.0, 3.1, 0.1, 14.5, 4.7),
                sd_post = c(11.6, 4.1, 0.1, 4.4, 4.6),
                ni = c(20, 50, 9, 10, 14), ri = c(0.47, 0.64, 0.77, 0.89, 0.44))
analyse("morris2008", "Morris (2008) Table 1 as in metafor's escalc help", "SMCR", d,
        alist(m1i = m_post, m2i = m_pre, sd1i = sd_pre, sd2i = sd_post, ni = ni, ri = ri),
        paste("Study", 1:5), extra_measures = c("SMCC", "SMCRH"), combos = ALL)

d <- md("dat.molloy2014")
analyse("molloy2014", "metadat dat.molloy2014 (conscientiousness and adherence)", "ZCOR",
        d, alist(ri = ri, ni = ni), d$authors, year = d$year, moderator = d$meanage)

d <- md("dat.pritz1997")
analyse("pritz1997", "metadat dat.pritz1997 (remission after treatment)", "PLO", d,
        alist(xi = xi, ni = ni), d$authors, extra_measures = "PR")

d <- md("dat.debruin2009")
analyse("debruin2009", "metadat dat.debruin2009 (SCQ adherence)", "PLO", d,
        alist(xi = xi, ni = ni), d$author, year = d$year, extra_measures = "PR")

d <- md("dat.raudenbush1985")
analyse("raudenbush1985", "metadat dat.raudenbush1985 (teacher expectancy)", "GEN", d,
        alist(yi = yi, vi = vi), paste(d$author, d$year), year = d$year,
        moderator = pmin(d$weeks, 3))

d <- md("dat.hackshaw1998")
analyse("hackshaw1998", "metadat dat.hackshaw1998 (passive smoking and lung cancer)", "GEN",
        d, alist(yi = yi, vi = vi), paste(d$author, d$year), year = d$year, combos = FEW)

d <- md("dat.konstantopoulos2011")
analyse("konstantopoulos2011", "metadat dat.konstantopoulos2011 (school calendars)", "GEN",
        d, alist(yi = yi, vi = vi), paste(d$district, d$school), year = d$year,
        moderator = d$year, combos = FEW)

cat(sprintf("R %s, metafor %s, metadat %s\n", getRversion(), packageVersion("metafor"),
            packageVersion("metadat")))
