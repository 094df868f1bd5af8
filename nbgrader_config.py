"""nbgrader configuration for working inside the repository.

The instructor source notebooks are
``course_pkg/instructor/data/assignments/<id>/<id>.ipynb``, generated from
``assignments/<id>/<id>.py`` by ``make assignments``. For a real class,
create a course directory outside the repository with ``course init DIR``
(see docs/instructors.md): student data never belongs in git.
"""

from course_pkg.instructor.nbconfig import apply_config

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)
c.CourseDirectory.source_directory = "course_pkg/instructor/data/assignments"
c.CourseDirectory.course_id = "lstm-attention"
apply_config(c)
