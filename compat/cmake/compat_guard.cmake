# Included by each compat package before anything else.
#
# A compat package stands in for a package that a ROS 2 distro normally
# provides but PyPI does not. It must never shadow the real one: when a
# package of the same name is found on AMENT_PREFIX_PATH (outside this
# workspace's own install space) and it is not one of ours, configure
# nothing, install nothing and register nothing, so the real one is used.
#
# Ours are recognised by the marker "orchestrator-compat" in package.xml.
function(compat_real_package_found name out_var)
  set(${out_var} "" PARENT_SCOPE)
  string(REPLACE ":" ";" _prefixes "$ENV{AMENT_PREFIX_PATH}")
  get_filename_component(_own_install "${CMAKE_INSTALL_PREFIX}/.." ABSOLUTE)
  foreach(_prefix IN LISTS _prefixes)
    if(_prefix STREQUAL "")
      continue()
    endif()
    get_filename_component(_abs "${_prefix}" ABSOLUTE)
    string(FIND "${_abs}" "${_own_install}" _pos)
    if(_pos EQUAL 0)
      continue()  # our own install space
    endif()
    set(_xml "${_abs}/share/${name}/package.xml")
    if(EXISTS "${_xml}")
      file(READ "${_xml}" _content)
      string(FIND "${_content}" "orchestrator-compat" _ours)
      if(_ours EQUAL -1)
        set(${out_var} "${_abs}" PARENT_SCOPE)
        return()
      endif()
    endif()
  endforeach()
endfunction()
