// libvirt's event loop, our own implementation (virEventRegisterImpl) on epoll, run on one
// detached native thread.
//
// Why not virEventRegisterDefaultImpl: libvirt's default (GLib) loop is woken through its eventfd
// every time a watch changes, and libvirt's RPC client disables and re-enables its socket watch
// around every call, so each cheap call cost extra cross-thread wake-ups of the loop thread
// (strace: ~3 more eventfd writes per virDomainGetInfo than with no loop registered, in
// python3-libvirt too). Here a watch change is one epoll_ctl made by the calling thread — epoll
// takes interest-set changes from any thread while another waits — and the loop thread is woken
// only when it must act: a removed watch or timer whose free callback is due, or a timer deadline
// earlier than the one it sleeps until.
#pragma once

namespace tlv {
namespace eventloop {

/** Registers the implementation and starts its thread; false when that failed. Idempotent. */
bool Start();

}  // namespace eventloop
}  // namespace tlv
