// BookingClient's admin calls and staff registration with the types a caller writes.
// Checked by `tsc --noEmit` against the installed package; never run.
import { BookingClient } from "@bizing/booking-sdk";
import type {
  AdminProvider,
  AdminProvidersResponse,
  AdminService,
  AdminServicesResponse,
  ClinicSettings,
  CreateInvitation,
  CreateProvider,
  CreateService,
  Invitation,
  InvitationCreated,
  InvitationsResponse,
  RegisterResult,
  RegisterStaffOptions,
  RoleChanged,
  ScheduleWindow,
  StaffAccount,
  StaffListResponse,
  StaffRemoved,
  StaffRole,
  UpdateProvider,
  UpdateService,
  WeeklySchedule,
} from "@bizing/booking-sdk";

export async function admin(client: BookingClient): Promise<void> {
  const request: CreateInvitation = { email: "doc@example.test", role: "provider", providerName: "Dr. Doc" };
  const created: InvitationCreated = await client.inviteStaff(request);
  const token: string = created.token;
  const invitation: Invitation = created.invitation;
  const expires: number = invitation.expiresAt;
  const pending: InvitationsResponse = await client.listInvitations();
  await client.revokeInvitation(pending.invitations[0]?.id ?? invitation.id);

  const staff: StaffListResponse = await client.listStaff();
  const first: StaffAccount | undefined = staff.staff[0];
  const role: StaffRole = first?.role ?? "receptionist";
  const holds: boolean | undefined = first?.holdsCurrentClinicKey;
  const changed: RoleChanged = await client.changeStaffRole("user-id", "admin");
  const rotate: boolean = changed.rotateClinicKey || changed.member.holdsCurrentClinicKey;
  const removed: StaffRemoved = await client.removeStaff("user-id");
  const rotateAfterRemoval: boolean = removed.rotateClinicKey;

  const settings: ClinicSettings = await client.clinicSettings();
  const updated: ClinicSettings = await client.updateClinicSettings({
    ...settings,
    allowedOrigins: ["https://clinic.example", "http://localhost:8081"],
  });
  const zone: string = updated.timeZone;

  const newService: CreateService = { name: "Visit", durationMinutes: 30 };
  const service: AdminService = await client.createService(newService);
  const change: UpdateService = { name: service.name, durationMinutes: 45, active: true };
  const services: AdminServicesResponse = await client.adminServices();
  await client.updateService(service.id, change);
  const inactive: AdminService = await client.deactivateService(service.id);

  const newProvider: CreateProvider = { userId: "user-id", displayName: "Dr. Doc" };
  const provider: AdminProvider = await client.createProvider(newProvider);
  const providerChange: UpdateProvider = { displayName: "Dr. Doc", active: false };
  await client.updateProvider(provider.id, providerChange);
  const providers: AdminProvidersResponse = await client.adminProviders();
  await client.deactivateProvider(provider.id);
  const window: ScheduleWindow = { weekday: 1, start: "09:00", end: "12:00" };
  const schedule: WeeklySchedule = await client.setProviderSchedule(provider.id, { windows: [window] });
  const again: WeeklySchedule = await client.providerSchedule(provider.id);

  const registration: RegisterStaffOptions = {
    tenantId: "demo-clinic",
    invitation: token,
    email: "doc@example.test",
    name: "Doc",
    password: "correct horse",
    kdfProfile: "insecure-fast-for-tests",
  };
  const registered: RegisterResult = await client.registerStaff(registration);
  void [expires, role, holds, rotate, rotateAfterRemoval, zone, services, inactive, providers, schedule, again, registered];
}
