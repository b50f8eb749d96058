// libvirt errors are thread-local: they are copied on the worker thread that saw them, then turned
// into a JS Error carrying libvirt's code, domain, level and message on the JS thread.
#pragma once
#include <napi.h>
#include <string>

namespace tlv {

struct Failure {
  /** Our own code for failures that are not libvirt's (ERR_LIBVIRT_CLOSED...); empty otherwise. */
  std::string ownCode;
  int code = 0;
  int domain = 0;
  int level = 0;
  std::string message;
  std::string str1;
  int int1 = 0;

  /** Copies virGetLastError() of the calling thread; `what` names the call when libvirt set nothing. */
  static Failure Last(const char* what);
  static Failure Own(const std::string& code, const std::string& message);
  Napi::Error ToJs(Napi::Env env) const;
};

/** Installs a silent libvirt error handler (libvirt prints every error to stderr by default). */
void SilenceDefaultErrorPrinting();

}  // namespace tlv
