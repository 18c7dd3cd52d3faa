# Reference values from R's lme4 for tincheck's therapist-effect models.
#
#   Rscript tools/lme4_reference.R DATA_CSV OUT_JSON
#
# reads the fixed data set (tests/stats/lme4/therapists.csv: therapist g, a binary
# outcome y, a continuous outcome change, and the design columns x1..x3) and writes
# what lme4 computes from it:
#
# - glmer(y ~ x1 + x2 + x3 + (1 | g), family = binomial, nAGQ = 9): fixed effects and
#   their standard errors, the random-intercept SD, the log-likelihood, the conditional
#   modes and their conditional SDs (ranef(condVar = TRUE)), and the profile-likelihood
#   95% interval of the SD (confint(fit, parm = ".sig01", method = "profile"));
# - lmer(change ~ x1 + x2 + x3 + (1 | g), REML = TRUE): fixed effects and standard
#   errors, the two SDs, the REML criterion, the BLUPs and their conditional SDs, and
#   the profile-REML 95% interval of the ICC: the REML deviance as a function of
#   theta = sigma_u / sigma_e (lmer(..., devFunOnly = TRUE), sigma_e and the fixed
#   effects profiled out), cut at its minimum + qchisq(0.95, 1), ICC = theta^2 /
#   (1 + theta^2).
#
# tools/lme4_reference.py runs this script; tests/stats/test_lme4_reference.py compares
# tincheck with the stored output. Needs R with lme4 (Debian: r-base-core, r-cran-lme4).

suppressPackageStartupMessages(library(lme4))

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 2) stop("usage: Rscript tools/lme4_reference.R DATA_CSV OUT_JSON")
d <- read.csv(args[1])
d$g <- factor(d$g)

num <- function(v) ifelse(is.finite(v), sprintf("%.16g", v), "null")
vec <- function(v) paste0("[", paste(num(as.numeric(v)), collapse = ", "), "]")
strs <- function(v) paste0("[", paste0('"', v, '"', collapse = ", "), "]")

# --- the mixed logistic model --------------------------------------------------------
# bobyqa to a trust-region radius of 1e-12, so that lme4's numbers are the
# estimators' values rather than values at its default tolerances
ctrl <- glmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5, rhoend = 1e-12),
                     tolPwrss = 1e-12)
lctrl <- lmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5, rhoend = 1e-12))
glmm <- glmer(y ~ x1 + x2 + x3 + (1 | g), data = d, family = binomial, nAGQ = 9,
              control = ctrl)
re <- ranef(glmm, condVar = TRUE)$g
glmm_sd <- sqrt(as.numeric(attr(re, "postVar")))
glmm_ci <- confint(glmm, parm = ".sig01", method = "profile", level = 0.95)

# --- the linear mixed model ------------------------------------------------------------
lmm <- lmer(change ~ x1 + x2 + x3 + (1 | g), data = d, REML = TRUE, control = lctrl)
lre <- ranef(lmm, condVar = TRUE)$g
lmm_sd <- sqrt(as.numeric(attr(lre, "postVar")))
dev <- lmer(change ~ x1 + x2 + x3 + (1 | g), data = d, REML = TRUE, devFunOnly = TRUE,
            control = lctrl)
theta_hat <- getME(lmm, "theta")
best <- dev(theta_hat)
cut <- function(theta) dev(theta) - best - qchisq(0.95, 1)
low <- if (cut(0) <= 0) 0 else uniroot(cut, c(0, theta_hat), tol = 1e-12)$root
high <- uniroot(cut, c(theta_hat, 10 * theta_hat + 1), tol = 1e-12)$root
vc <- as.data.frame(VarCorr(lmm))

out <- c(
  "{",
  paste0('  "r": "', R.version$major, ".", R.version$minor, '",'),
  paste0('  "lme4": "', as.character(packageVersion("lme4")), '",'),
  '  "glmer": {',
  '    "call": "glmer(y ~ x1 + x2 + x3 + (1 | g), family = binomial, nAGQ = 9, control = glmerControl(optimizer = bobyqa, optCtrl = list(rhoend = 1e-12)))",',
  paste0('    "fixef": ', vec(fixef(glmm)), ","),
  paste0('    "se": ', vec(sqrt(diag(as.matrix(vcov(glmm))))), ","),
  paste0('    "sigma": ', num(as.numeric(VarCorr(glmm)$g)^0.5), ","),
  paste0('    "loglik": ', num(as.numeric(logLik(glmm))), ","),
  paste0('    "groups": ', strs(rownames(re)), ","),
  paste0('    "modes": ', vec(re[, 1]), ","),
  paste0('    "mode_sd": ', vec(glmm_sd), ","),
  paste0('    "sigma_profile_ci": ', vec(glmm_ci[1, ])),
  "  },",
  '  "lmer": {',
  '    "call": "lmer(change ~ x1 + x2 + x3 + (1 | g), REML = TRUE, control = lmerControl(optimizer = bobyqa, optCtrl = list(rhoend = 1e-12)))",',
  paste0('    "fixef": ', vec(fixef(lmm)), ","),
  paste0('    "se": ', vec(sqrt(diag(as.matrix(vcov(lmm))))), ","),
  paste0('    "sigma_u": ', num(vc$sdcor[1]), ","),
  paste0('    "sigma_e": ', num(vc$sdcor[2]), ","),
  paste0('    "reml_criterion": ', num(REMLcrit(lmm)), ","),
  paste0('    "blups": ', vec(lre[, 1]), ","),
  paste0('    "blup_sd": ', vec(lmm_sd), ","),
  paste0('    "icc_profile_ci": ', vec(c(low, high)^2 / (1 + c(low, high)^2))),
  "  }",
  "}")
writeLines(out, args[2])
