// Package loadtester is `sluice loadtester`: a webhook server that speaks
// the API of Flagger's load tester, so that a Flagger user's load-test
// webhook works unchanged under Sluice, in the cluster or beside `sluice
// run`.
//
// A webhook POSTs JSON with the release's name, namespace and phase and the
// hook's metadata. With metadata type "cmd" (the default) the command, a
// hey command line such as "hey -z 1m -q 10 -c 2 http://api-canary.shop/",
// starts in the background and the answer is 202 at once; the same command
// for the same release is not started again while it runs, so a webhook
// called at every check keeps one load test going. With type "bash" the
// hey command runs to its end before the answer. Commands are never given
// to a shell: the hey flags -z -q -c -n -m -H -d -T -t -A -a are read here
// and the load is sent by internal/loadgen. Anything else is refused with
// 400 and the reason.
//
// The gate endpoints of Flagger's load tester are served too:
// /gate/approve and /gate/halt answer 200 and 403; /gate/check answers 200
// once /gate/open was called for the release (and 403 after /gate/close),
// and /rollback/check likewise with /rollback/open and /rollback/close, so
// manual confirm-promotion and rollback hooks work as they did.
package loadtester
