// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/tcp_splice: the ioctl entry point.  The device is world-usable:
 * owning both descriptors is the proof of the right to splice them (the
 * kernel resolves them in the caller's own descriptor table).
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>

#include "session.h"

static long tsp_ioctl_splice(void __user *uarg)
{
	struct tcp_splice_req req;
	u32 size;
	u64 id = 0;
	int err;

	if (get_user(size, (u32 __user *)uarg))
		return -EFAULT;
	if (size < TCP_SPLICE_REQ_SIZE_VER1 || size > PAGE_SIZE)
		return -EINVAL;
	err = copy_struct_from_user(&req, sizeof(req), uarg, size);
	if (err)
		return err;
	if (req.version != TCP_SPLICE_ABI_VERSION || req.reserved ||
	    (req.flags & ~TCP_SPLICE_F_ALL))
		return -EINVAL;
	/* Fail on an unwritable result before the session exists. */
	if (put_user(0ULL, (u64 __user *)(uarg +
			offsetof(struct tcp_splice_req, session_id))))
		return -EFAULT;
	err = tsp_splice(req.fd_client, req.fd_server, req.flags, &id);
	if (err)
		return err;
	if (put_user(id, (u64 __user *)(uarg +
			offsetof(struct tcp_splice_req, session_id))))
		return -EFAULT;	/* unmapped meanwhile; the session lives */
	return 0;
}

static long tsp_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case TCP_SPLICE_IOC_SPLICE:
		return tsp_ioctl_splice((void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations tsp_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= tsp_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice tsp_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "tcp_splice",
	.fops	= &tsp_fops,
	.mode	= 0666,
};

int tsp_device_init(void)
{
	return misc_register(&tsp_misc);
}

void tsp_device_exit(void)
{
	misc_deregister(&tsp_misc);
}
