"""The admin application with the portal's own admin site as the default one."""

from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    default_site = "school.admin_site.PortalAdminSite"
