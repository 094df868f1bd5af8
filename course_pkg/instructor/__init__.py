"""The instructor's side of the assignments: everything that does not run in a student's kernel.

* :mod:`.cli`: the ``course`` command (argument parsing and dispatch);
* :mod:`.coursedir`: course directories (``course init``, locating the
  source notebooks and the submissions) and the packaged assignments;
* :mod:`.nbgrader_driver`: ``autograde`` and ``feedback``, each a run of nbgrader;
* :mod:`.release`: ``release`` (also ``--all``) and due dates;
* :mod:`.collect`: copying submissions (a folder or a zip) into a course, with
  :mod:`.handins` (layouts, LMS names, zips) and :mod:`.roster` (the class list);
* :mod:`.export`: the grades as CSV (long, wide, Canvas, Moodle, per test cell);
* :mod:`.timestamps`: due dates and submission times;
* :mod:`.selfcheck` and :mod:`.student_export`: ``course check`` and
  ``course export-student``;
* :mod:`.notebooks`: notebook I/O, student versions, execution and scoring;
* :mod:`.nbconfig`: the nbgrader settings shared by every course directory;
* :mod:`.build`: the instructor source notebooks, generated from the
  jupytext sources ``assignments/<id>/<id>.py``;
* :mod:`.trusted`, :mod:`.isolation` and :mod:`.trusted_execute`: grading
  with tests the student cannot tamper with (the student's code in its own
  process, the checks in the grader's), plugged into nbgrader's autograde;
* :mod:`.gradescope`: ``course gradescope``, a Gradescope autograder zip
  running the same trusted grading;
* :mod:`.report`: ``course report``, an HTML page per assignment (scores,
  pass rates, frequent mistakes, problems).

The grading code that runs inside the notebooks is :mod:`course_pkg.grading`.
"""

__all__: list[str] = []
