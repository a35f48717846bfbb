"""`programs`: the service's programs, read-only (program administrators make them)."""

from django.http import HttpRequest, HttpResponse

from settlement.openadr import present, problems, queries, scopes
from settlement.openadr.http import Endpoint, json_response, page, require, targets_param

READ = (scopes.READ_ALL, scopes.READ_TARGETS)
MANAGED_HERE = (
    "programs are managed by the service's program administrators; OpenADR clients read them"
)


class Programs(Endpoint):
    """GET: the programs the caller may read (`targets` filters: none carry targets)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        """Return a page of programs."""
        require(self.grant, *READ)
        programs = queries.programs_for(grant=self.grant)
        if targets_param(request):
            # Programs have no targets, and a filter keeps objects holding every target named.
            programs = programs.none()
        return json_response([present.program(item) for item in page(request, programs)])

    def post(self, request: HttpRequest) -> HttpResponse:
        """Refuse: see MANAGED_HERE."""
        raise problems.Problem(
            status=405, title="Method Not Allowed", detail=MANAGED_HERE, headers={"Allow": "GET"}
        )


class Program(Endpoint):
    """GET one program."""

    def get(self, request: HttpRequest, program_id: str) -> HttpResponse:
        """Return the program, or 404."""
        require(self.grant, *READ)
        return json_response(
            present.program(queries.access_program(grant=self.grant, program_id=program_id))
        )

    def put(self, request: HttpRequest, program_id: str) -> HttpResponse:
        """Refuse: see MANAGED_HERE."""
        raise problems.Problem(
            status=405, title="Method Not Allowed", detail=MANAGED_HERE, headers={"Allow": "GET"}
        )

    delete = put
