// SPDX-License-Identifier: GPL-2.0
/*
 * tsp_fault: fault injection for the tests of tcp_splice's error paths, on
 * kernels built without CONFIG_FAULT_INJECTION (Debian's).
 *
 * A kretprobe on __xa_insert() makes the next fail_insert stores into the
 * module's id index fail as a GFP_ATOMIC node allocation would: when the
 * caller is tsp_session_insert() (xa_insert() is inlined there, so the
 * return address names it), the store is undone with __xa_erase() under the
 * lock the caller still holds and -ENOMEM is returned.  The caller then
 * sees exactly what a failed allocation gives it.  Stores of anyone else
 * are left alone.
 *
 * Parameters (/sys/module/tsp_fault/parameters/):
 *   fail_insert  stores still to fail (written by the test)
 *   injected     failures injected so far (read by the test)
 */
#include <linux/atomic.h>
#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/ptrace.h>
#include <linux/string.h>
#include <linux/xarray.h>

static int fail_insert;
module_param(fail_insert, int, 0644);
MODULE_PARM_DESC(fail_insert, "id-index stores of tcp_splice still to fail");

static atomic_t injected = ATOMIC_INIT(0);
static int injected_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&injected));
}

static const struct kernel_param_ops injected_ops = {
	.get = injected_get,
};
module_param_cb(injected, &injected_ops, NULL, 0444);
MODULE_PARM_DESC(injected, "failures injected so far");

/* __xa_insert(xa, index, entry, gfp): what the return handler needs */
struct tsp_fault_call {
	struct xarray *xa;
	unsigned long index;
};

static int tsp_fault_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct tsp_fault_call *c = (struct tsp_fault_call *)ri->data;

	c->xa = (struct xarray *)regs_get_kernel_argument(regs, 0);
	c->index = regs_get_kernel_argument(regs, 1);
	return 0;
}

/* Take one from fail_insert if it is positive. */
static bool tsp_fault_take(void)
{
	int n = READ_ONCE(fail_insert);

	while (n > 0) {
		int seen = cmpxchg(&fail_insert, n, n - 1);

		if (seen == n)
			return true;
		n = seen;
	}
	return false;
}

static int tsp_fault_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct tsp_fault_call *c = (struct tsp_fault_call *)ri->data;
	char sym[KSYM_SYMBOL_LEN];

	if (regs_return_value(regs) != 0 || READ_ONCE(fail_insert) <= 0)
		return 0;
	sprint_symbol(sym, get_kretprobe_retaddr(ri));
	if (strncmp(sym, "tsp_session_insert+", 19) || !strstr(sym, "[tcp_splice]"))
		return 0;
	if (!tsp_fault_take())
		return 0;
	__xa_erase(c->xa, c->index);	/* the caller holds xa_lock */
	regs_set_return_value(regs, -ENOMEM);
	atomic_inc(&injected);
	return 0;
}

static struct kretprobe tsp_fault_krp = {
	.kp.symbol_name	= "__xa_insert",
	.entry_handler	= tsp_fault_entry,
	.handler	= tsp_fault_ret,
	.data_size	= sizeof(struct tsp_fault_call),
	.maxactive	= 64,
};

static int __init tsp_fault_init(void)
{
	return register_kretprobe(&tsp_fault_krp);
}

static void __exit tsp_fault_exit(void)
{
	unregister_kretprobe(&tsp_fault_krp);
}

module_init(tsp_fault_init);
module_exit(tsp_fault_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("tcp_splice test fault injection (id-index store failures)");
