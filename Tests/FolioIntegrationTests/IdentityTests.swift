import FolioClient
import FolioDomain
import FolioWire
import Foundation
import Testing

/// Callers are identified by SO_PEERCRED: these tests run the real `folio` binary as other uids.
@Suite(.enabled(if: TestEnvironment.isRoot, "needs root to act as other uids"), .timeLimit(.minutes(5)))
struct IdentityTests {
    let server = ServerProcess.shared

    /// The contract's order of roles: viewer < clerk < owner.
    static func rank(_ role: Role) -> Int { [Role.viewer, .clerk, .owner].firstIndex(of: role)! }

    @Test func rootIsAdministrator() throws {
        let me = try server.connect().call("system.whoami")
        #expect(me["uid"] == 0)
        #expect(me["admin"] == .bool(true))
    }

    @Test func otherUIDSeesItsOwnMemberships() throws {
        let tenant = try server.makeTenant("who")
        let uid: UInt32 = 51_001
        _ = try server.connect().call("tenant.grant", ["tenant": .string(tenant), "uid": JSON(Int(uid)), "role": "clerk"])
        let cli = CLI(socketPath: server.socketPath, uid: uid)
        let me = try cli.call("system.whoami").get()
        #expect(me["uid"] == JSON(Int(uid)))
        #expect(me["admin"] == .bool(false))
        #expect(me["tenants"] == [["tenant": .string(tenant), "role": "clerk"]])
        let list = try cli.call("tenant.list").get()
        #expect(list["items"]?.arrayValue?.map { $0["tenant"] } == [.string(tenant)])
    }

    @Test func unknownAndForbiddenTenantsAnswerIdentically() throws {
        let tenant = try server.makeTenant("hid")
        let cli = CLI(socketPath: server.socketPath, uid: 51_002)
        let forbidden = try cli.run(["call", "customer.list", #"{"tenant":"\#(tenant)"}"#])
        let unknown = try cli.run(["call", "customer.list", #"{"tenant":"no_such_tenant_xyz"}"#])
        #expect(forbidden.status != 0)
        #expect(forbidden.stderr.contains("-32001"))
        #expect(forbidden.stderr == unknown.stderr)
        // An administrator learns that the tenant does not exist.
        do {
            _ = try server.connect().call("customer.list", ["tenant": "no_such_tenant_xyz"])
            Issue.record("unknown tenant accepted")
        } catch let error as RPCError {
            #expect(error.code == ErrorCode.notFound)
        }
    }

    @Test func nonAdministratorCannotCreateTenants() throws {
        let cli = CLI(socketPath: server.socketPath, uid: 51_003)
        let outcome = try cli.call("tenant.create", ["tenant": .string(TestEnvironment.uniqueSlug()), "name": "X", "currency": "EUR"])
        #expect(outcome.failureCode == ErrorCode.forbidden)
    }

    @Test func revokeEndsAccessAndRevokingANonMemberIsNotFound() throws {
        let tenant = try server.makeTenant("rev")
        let admin = try server.connect()
        let uid = 51_004
        _ = try admin.call("tenant.grant", ["tenant": .string(tenant), "uid": JSON(uid), "role": "viewer"])
        let cli = CLI(socketPath: server.socketPath, uid: UInt32(uid))
        #expect(try cli.call("customer.list", ["tenant": .string(tenant)]).failureCode == nil)
        #expect(try admin.call("tenant.revoke", ["tenant": .string(tenant), "uid": JSON(uid)]) == .object([:]))
        #expect(try cli.call("customer.list", ["tenant": .string(tenant)]).failureCode == ErrorCode.forbidden)
        #expect(throws: RPCError.notFound("uid \(uid) is not a member of \(tenant)", field: "uid")) {
            try admin.call("tenant.revoke", ["tenant": .string(tenant), "uid": JSON(uid)])
        }
    }

    /// Every tenant method, called by a non-member, a viewer, a clerk and an owner: forbidden
    /// exactly when the membership is below the role the method declares.
    @Test func everyMethodEnforcesItsRole() throws {
        let tenant = try server.makeTenant("roles")
        let admin = try server.connect()
        let members: [(Role?, UInt32)] = [(nil, 52_000), (.viewer, 52_001), (.clerk, 52_002), (.owner, 52_003)]
        for case (let role?, let uid) in members {
            _ = try admin.call("tenant.grant", ["tenant": .string(tenant), "uid": JSON(Int(uid)), "role": .string(role.rawValue)])
        }
        var checked = 0
        for spec in MethodCatalog.all {
            let params = SampleParams.of(spec, tenant: tenant)
            for (role, uid) in members {
                let code = try CLI(socketPath: server.socketPath, uid: uid).call(spec.name, params).failureCode
                let allowed: Bool
                switch spec.access {
                case .anyone: allowed = true
                case .admin: allowed = false
                case .tenant(let needed): allowed = role.map { Self.rank($0) >= Self.rank(needed) } ?? false
                }
                #expect((code == ErrorCode.forbidden) == !allowed,
                        "\(spec.name) as \(role?.rawValue ?? "non-member"): got \(code.map(String.init) ?? "success")")
                checked += 1
            }
        }
        #expect(checked == MethodCatalog.all.count * 4)
    }
}

extension Result where Failure == RPCError {
    /// The error code, or nil on success.
    var failureCode: Int? {
        if case .failure(let error) = self { error.code } else { nil }
    }
}
