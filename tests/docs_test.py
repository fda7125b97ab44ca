"""README and docs/: every link points to a file in the repository."""

import glob
import os
import re

from launch_fixtures import REPO

_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _pages():
  return [os.path.join(REPO, "README.md")] + sorted(
      glob.glob(os.path.join(REPO, "docs", "*.md")))


def test_every_link_resolves_inside_the_repository():
  wrong = []
  for page in _pages():
    text = open(page, encoding="utf-8").read()
    for target in _LINK.findall(text):
      path = os.path.normpath(os.path.join(os.path.dirname(page),
                                           target.split("#")[0]))
      inside = os.path.commonpath([path, REPO]) == REPO
      if "://" in target or not inside or not os.path.exists(path):
        wrong.append(f"{os.path.relpath(page, REPO)}: {target}")
  assert not wrong, wrong


def test_readme_links_every_docs_page():
  readme = open(os.path.join(REPO, "README.md"), encoding="utf-8").read()
  linked = {os.path.basename(t) for t in _LINK.findall(readme)}
  pages = {os.path.basename(p) for p in _pages()[1:]}
  # demo_history.md is linked from demo.md, demo_profile.md from
  # diagnosis.md.
  assert pages - linked <= {"demo_history.md", "demo_profile.md"}, (
      pages - linked)
