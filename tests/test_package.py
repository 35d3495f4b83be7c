#!/usr/bin/python3
"""The installed rnnscope, as a Debian package or `cmake --install` lays it out.

Usage: test_package.py BUILD_DIR SOURCE_DIR [--deb]

Installs BUILD_DIR with `cmake --install --prefix /usr` into a temporary DESTDIR and checks the tree:
  - usr/bin/rnnscope runs from there: --version names the project's version, --help the commands,
    `summary` prints the classic model's 57 parameters;
  - usr/share/applications/org.rnnscope.rnnscope.desktop passes desktop-file-validate, and its
    Exec= and Icon= name the installed binary and icon;
  - usr/share/icons/hicolor/scalable/apps/org.rnnscope.rnnscope.svg is an SVG document with a viewBox;
  - usr/share/metainfo/org.rnnscope.rnnscope.metainfo.xml passes `appstreamcli validate --no-net`,
    launches that desktop file, and its newest release is the project's version.
With --deb it also runs `cpack -G DEB` on BUILD_DIR into a temporary folder and checks the package:
its name, version, section, the Depends that dpkg-shlibdeps found, and that it holds the files above.

desktop-file-validate (desktop-file-utils), appstreamcli (appstream), dpkg-deb and dpkg-shlibdeps
(dpkg-dev) come from scripts/install-deps.sh. Prints "N passed, M failed"; exit status 1 on a failure.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

APP_ID = 'org.rnnscope.rnnscope'
results = []


def check(name, ok, detail=''):
    results.append(ok)
    print(('PASS  ' if ok else 'FAIL  ') + name + ('' if ok or not detail else '\n      ' + detail.strip().replace('\n', '\n      ')))
    return ok


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def project_version(build):
    with open(os.path.join(build, 'CMakeCache.txt')) as f:
        for line in f:
            if line.startswith('CMAKE_PROJECT_VERSION:'):
                return line.split('=', 1)[1].strip()
    sys.exit('test_package: no CMAKE_PROJECT_VERSION in %s/CMakeCache.txt' % build)


def tool(name, package):
    path = shutil.which(name)
    if not path:
        check('%s is installed' % name, False, 'install the Debian package %s (scripts/install-deps.sh does)' % package)
    return path


def check_tree(root, version):
    binary = os.path.join(root, 'usr/bin/rnnscope')
    desktop = os.path.join(root, 'usr/share/applications', APP_ID + '.desktop')
    icon = os.path.join(root, 'usr/share/icons/hicolor/scalable/apps', APP_ID + '.svg')
    metainfo = os.path.join(root, 'usr/share/metainfo', APP_ID + '.metainfo.xml')

    # The binary, run where it was installed (no RPATH into the build tree).
    if check('usr/bin/rnnscope is installed and executable', os.access(binary, os.X_OK)):
        p = run([binary, '--version'])
        check('rnnscope --version prints "rnnscope %s"' % version,
              p.returncode == 0 and p.stdout.strip() == 'rnnscope ' + version, p.stdout + p.stderr)
        p = run([binary, '--help'])
        check('rnnscope --help lists the commands',
              p.returncode == 0 and all(c in p.stdout for c in ('summary', 'trace', 'forward', 'save', 'bench', 'screenshot')),
              p.stdout + p.stderr)
        p = run([binary, 'summary'])
        check('the installed rnnscope prints the classic summary (57 parameters)',
              p.returncode == 0 and 'Total params: 57' in p.stdout, p.stdout + p.stderr)

    # The desktop entry.
    if check('the desktop file is installed as share/applications/%s.desktop' % APP_ID, os.path.isfile(desktop)):
        validate = tool('desktop-file-validate', 'desktop-file-utils')
        if validate:
            p = run([validate, desktop])
            # desktop-file-validate exits 0 with hints; errors and warnings fail the check.
            bad = [l for l in (p.stdout + p.stderr).splitlines() if ': error:' in l or ': warning:' in l]
            check('desktop-file-validate accepts it', p.returncode == 0 and not bad, p.stdout + p.stderr)
        entry = dict(l.split('=', 1) for l in open(desktop, encoding='utf-8').read().splitlines()
                     if '=' in l and not l.startswith('#'))
        exec_binary = entry.get('Exec', '').split()[0] if entry.get('Exec') else ''
        check('Exec= runs the installed binary (%s)' % exec_binary,
              exec_binary and os.path.isfile(os.path.join(root, 'usr/bin', exec_binary)), str(entry))
        check('Icon= is the application id', entry.get('Icon') == APP_ID, str(entry))

    # The icon.
    if check('the icon is installed as hicolor/scalable/apps/%s.svg' % APP_ID, os.path.isfile(icon)):
        try:
            svg = ET.parse(icon).getroot()
            check('the icon is an SVG document with a square viewBox',
                  svg.tag == '{http://www.w3.org/2000/svg}svg' and
                  len(svg.get('viewBox', '').split()) == 4 and
                  svg.get('viewBox').split()[2] == svg.get('viewBox').split()[3], str(svg.attrib))
        except ET.ParseError as e:
            check('the icon is well-formed XML', False, str(e))

    # The AppStream metadata.
    if check('the metainfo is installed as share/metainfo/%s.metainfo.xml' % APP_ID, os.path.isfile(metainfo)):
        appstreamcli = tool('appstreamcli', 'appstream')
        if appstreamcli:
            p = run([appstreamcli, 'validate', '--no-net', '--no-color', metainfo])
            check('appstreamcli validate --no-net accepts it', p.returncode == 0, p.stdout + p.stderr)
        component = ET.parse(metainfo).getroot()
        check('its id is %s' % APP_ID, component.findtext('id') == APP_ID)
        launchable = component.find('launchable')
        check('it launches %s.desktop' % APP_ID,
              launchable is not None and launchable.text == APP_ID + '.desktop' and launchable.get('type') == 'desktop-id')
        releases = component.findall('releases/release')
        newest = releases[0].get('version') if releases else None
        check('its newest release is the project version %s (resources/%s.metainfo.xml)' % (version, APP_ID),
              newest == version, 'newest <release>: %s' % newest)


def check_deb(build, version, work):
    cpack = shutil.which('cpack') or 'cpack'
    packages = os.path.join(work, 'packages')
    p = run([cpack, '-G', 'DEB', '--config', os.path.join(build, 'CPackConfig.cmake'), '-B', packages])
    debs = [f for f in os.listdir(packages) if f.endswith('.deb')] if os.path.isdir(packages) else []
    if not check('cpack -G DEB builds one package', p.returncode == 0 and len(debs) == 1, p.stdout + p.stderr):
        return
    deb = os.path.join(packages, debs[0])
    arch = run(['dpkg', '--print-architecture']).stdout.strip()
    check('it is named rnnscope_%s_%s.deb' % (version, arch), debs[0] == 'rnnscope_%s_%s.deb' % (version, arch), debs[0])
    info = run(['dpkg-deb', '--field', deb]).stdout
    fields = dict(re.findall(r'^([A-Za-z-]+): (.*)$', info, re.M))
    check('Package: rnnscope, Version: %s, Section: science' % version,
          fields.get('Package') == 'rnnscope' and fields.get('Version') == version and fields.get('Section') == 'science', info)
    depends = fields.get('Depends', '')
    check('Depends (from dpkg-shlibdeps) names Qt Widgets, Qt Charts, HDF5 and libzip',
          all(lib in depends for lib in ('libqt6widgets6', 'libqt6charts6', 'libhdf5', 'libzip')), depends)
    check('it has a description and a maintainer',
          fields.get('Description', '').startswith('See the shapes') and '@' in fields.get('Maintainer', ''), info)
    check('the extended description is plain lines (not a CMake ;-list)',
          re.search(r'^ .+', info, re.M) is not None and re.search(r'^ ;', info, re.M) is None, info)
    contents = run(['dpkg-deb', '--contents', deb]).stdout
    for path in ('./usr/bin/rnnscope', './usr/share/applications/%s.desktop' % APP_ID,
                 './usr/share/icons/hicolor/scalable/apps/%s.svg' % APP_ID, './usr/share/metainfo/%s.metainfo.xml' % APP_ID):
        check('the package holds %s' % path[1:], re.search(re.escape(path) + r'$', contents, re.M) is not None)
    unpacked = os.path.join(work, 'unpacked')
    p = run(['dpkg-deb', '--extract', deb, unpacked])
    if check('dpkg-deb extracts it', p.returncode == 0, p.stderr):
        p = run([os.path.join(unpacked, 'usr/bin/rnnscope'), '--version'])
        check('the packaged (stripped) binary runs --version', p.returncode == 0 and version in p.stdout, p.stdout + p.stderr)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    build, source = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    version = project_version(build)
    with tempfile.TemporaryDirectory(prefix='rnnscope-package-') as work:
        root = os.path.join(work, 'root')
        p = run(['cmake', '--install', build, '--prefix', '/usr'], env=dict(os.environ, DESTDIR=root))
        if check('cmake --install into a DESTDIR', p.returncode == 0, p.stdout + p.stderr):
            check_tree(root, version)
        if '--deb' in sys.argv[3:]:
            check_deb(build, version, work)
    failed = results.count(False)
    print('%d passed, %d failed' % (len(results) - failed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
