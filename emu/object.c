/* SPDX-License-Identifier: MIT */
/*
 * object.c - the object header every emulated kernel object starts with.
 *
 * An object is created with one reference owned by its creator.  Handles
 * and holders take their own references; the object is destroyed through
 * its type's ops when the last reference goes.  The type is the ops pointer.
 */
#include "emu.h"

/* kmemu_obj_init() - set the type and the creator's reference. */
void kmemu_obj_init(struct kmemu_obj *obj, const struct kmemu_obj_ops *ops)
{
	obj->ops = ops;
	obj->refcount = 1;
	obj->handle_count = 0;
}

/* kmemu_obj_ref() - add a reference.  Caller holds the machine lock. */
void kmemu_obj_ref(struct kmemu_obj *obj)
{
	obj->refcount++;
}

/* kmemu_obj_unref() - drop a reference; destroys the object at zero.
 * Caller holds the machine lock. */
void kmemu_obj_unref(struct kmemu_obj *obj)
{
	if (ALWAYS(obj->refcount > 0) && --obj->refcount == 0)
		obj->ops->destroy(obj);
}
