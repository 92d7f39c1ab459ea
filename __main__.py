"""The Pulumi program: stack config -> validated specs -> component resources.

Thin on purpose: planning (validation, compilation) is `pipespec.plan`, deployment is
`components.program`. Run with `pulumi up`, or offline with `pipespec synth --stack dev`.
"""

from components.program import main

main()
